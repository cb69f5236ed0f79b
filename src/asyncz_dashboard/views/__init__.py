"""The dashboard's views; ``routes.py`` holds the route table."""

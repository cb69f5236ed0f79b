"""A module whose import has a side effect: the create tests check it is never imported."""

IMPORTED = True
print("edit_side_effect imported")  # the side effect


def boom() -> None:
    """A callable outside every allowlist."""

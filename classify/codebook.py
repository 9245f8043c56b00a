"""Label vocabularies of the codebook (../shared/CODEBOOK.md); the code follows the codebook."""

THEMES: tuple[str, ...] = ("plan", "space", "staff", "stuff", "systems", "financing")

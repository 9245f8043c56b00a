"""Label vocabularies of the codebook (../shared/CODEBOOK.md); the code follows the codebook."""

THEMES: tuple[str, ...] = ("plan", "space", "staff", "stuff", "systems", "financing")
SCOPES: tuple[str, ...] = ("national", "multi-country", "global")
SOURCE_TYPES: tuple[str, ...] = (
    "government", "multilateral", "press", "ngo", "private", "academic",
)
KINDS: tuple[str, ...] = ("news", "press-release", "blog", "document")

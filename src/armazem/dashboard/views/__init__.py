"""The dashboard's pages, one module per subject, each with a `render()` function."""

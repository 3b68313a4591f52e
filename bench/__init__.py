"""Reproducible load benchmark of the shop (issue 5). Run with `make bench`; see README.md."""

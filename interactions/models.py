"""Models of this app arrive with their own issue; the app exists so its URLs and tasks have a home."""

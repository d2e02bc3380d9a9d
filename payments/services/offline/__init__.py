"""Offline paying (issue 18): keys, formats, holds, payment and sync; see formats.py for the byte layouts."""

"""Standalone ffmpeg HLS library: probe, plan a ladder, encode in one decode, validate."""

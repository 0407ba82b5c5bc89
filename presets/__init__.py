"""Shipped YAML presets (data files; installed as ``vs_slowdeblur.presets`` so a wheel carries them)."""

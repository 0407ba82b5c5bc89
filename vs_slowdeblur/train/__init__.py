"""Training code that regenerates every committed weight file (``python -m vs_slowdeblur.train deblur``)."""

"""``vs-slowdeblur render``: a video file or .vpy script in, a finished video file out, in chunks rendered by
vspipe over local worker processes and joined by ffmpeg (``command`` is the entry point)."""

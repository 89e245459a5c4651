"""The beat pipeline: the request, its key=value text, the beat maker and the picture."""

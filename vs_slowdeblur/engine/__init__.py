"""Frame ↔ tensor I/O, timelines, caches, colour conversion and devices; knows nothing about which model runs."""

"""The speed lane: the fast path of reading (Arrow reading, early start, memory tuning, the
sheet and result caches), kept apart from the reference path of `sdkpi.loaders`."""

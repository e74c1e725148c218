"""verify: does the built image hold exactly what the lock and the Dockerfile say? (Needs an engine.)"""

"""rebuild: build the image twice from the same inputs and explain every difference. (Needs an engine.)"""

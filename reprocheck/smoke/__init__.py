"""Build the image, run the prediction sandboxed, compare with the golden output."""

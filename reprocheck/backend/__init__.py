"""The container engine: one interface, the Docker implementation, cleanup by label."""

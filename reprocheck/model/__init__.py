"""Frozen data types shared by every layer. Standard library only."""

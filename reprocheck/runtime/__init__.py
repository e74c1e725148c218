"""The Docker side as one pipeline: load the project and its spec, obtain the image (given, reused by inputs
digest, or built), run the stages asked for (smoke, verify, rebuild) and return one ``Report`` judged by the
same selection, severities and threshold as ``lint``.

Only this package composes ``smoke``, ``verify`` and ``rebuild``; the CLI imports it inside command bodies
(``run`` in ``pipeline.py`` is the entry point)."""

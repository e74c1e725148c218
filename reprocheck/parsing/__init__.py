"""Files -> model. Each parser returns the model plus ParseIssues; none raises on bad input."""

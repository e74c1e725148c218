"""The prediction: read rows of iris measurements (a JSON list of {"features": [4 floats]}) from the file
given, print each row's class and the model's probabilities as JSON."""

import json
import sys

import numpy as np

with open("model.json") as fh:
    model = json.load(fh)
with open(sys.argv[1]) as fh:
    rows = json.load(fh)
x = np.array([row["features"] for row in rows], dtype=np.float64)
z = (x - np.array(model["mean"])) / np.array(model["scale"])
logits = z @ np.array(model["weights"]) + np.array(model["bias"])
p = np.exp(logits - logits.max(axis=1, keepdims=True))
p /= p.sum(axis=1, keepdims=True)
result = {
    "predictions": [model["classes"][i] for i in p.argmax(axis=1)],
    "probabilities": p.tolist(),  # full floats: compared with the golden within rtol/atol
}
print(json.dumps(result, indent=2))

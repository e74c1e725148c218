"""Train the model: softmax regression on the iris data set (data/iris.csv, from scikit-learn's copy of
Fisher's data), by plain gradient descent with numpy. Writes model.json; run it again and you get the same
file (no randomness, a fixed number of steps)."""

import csv
import json

import numpy as np

with open("data/iris.csv") as fh:
    reader = csv.reader(fh)
    header = next(reader)
    rows = [[float(x) for x in row] for row in reader]
names = header[2:]
data = np.array(rows)
x, y = data[:, :4], data[:, 4].astype(int)
mean, scale = x.mean(axis=0), x.std(axis=0)
z = (x - mean) / scale
onehot = np.eye(len(names))[y]
weights = np.zeros((4, len(names)))
bias = np.zeros(len(names))
for _ in range(2000):
    logits = z @ weights + bias
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    weights -= 0.1 * (z.T @ (p - onehot) / len(z) + 1e-3 * weights)
    bias -= 0.1 * (p - onehot).mean(axis=0)
model = {
    "classes": names,
    "mean": mean.tolist(),
    "scale": scale.tolist(),
    "weights": weights.tolist(),
    "bias": bias.tolist(),
}
with open("model.json", "w") as fh:
    json.dump(model, fh, indent=2)
    fh.write("\n")
accuracy = float((np.argmax(z @ weights + bias, axis=1) == y).mean())
print(f"trained on {len(z)} rows: accuracy {accuracy:.3f}")

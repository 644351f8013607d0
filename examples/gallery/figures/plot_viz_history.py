"""
``viz.plot_history``
====================

Loss and accuracy per epoch of a short training: a small MLP on 1,000 rendered OCR digits,
validated on 300 others.
"""

from convolab import data, models, train, viz

train_set, val_set = data.ocr_digits(1000, seed=0), data.ocr_digits(300, seed=1)
history = train.fit(models.mlp(hidden=(64,)), train_set, val_set, epochs=8, batch_size=50,
                    lr=3e-3, progress=False)
print(f"best val_accuracy {history.best:.3f} at epoch {history.best_epoch}")
viz.plot_history(history)

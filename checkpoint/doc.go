// Package checkpoint saves and restores training snapshots, so that a run
// killed at any moment can continue exactly where its last snapshot left it.
//
// A snapshot is one safetensors file (docs/FORMAT.md, docs/RELIABILITY.md):
// the model's weights under their path names (encoder.1.kernel), the
// optimizer's state under optimizer/velocity/NAME (SGD with momentum) or
// optimizer/m/NAME and optimizer/v/NAME (Adam), the current epoch's shuffle
// order as train/order, and in the metadata the architecture, the training
// config and history (as in a model file), the training state (epoch, step,
// running loss sums, random source, Adam's step count), the time, and a
// SHA-256 of everything else. Load recomputes the SHA-256 and refuses a
// file whose content does not match it.
//
// A Writer decides when to snapshot (every so many steps or so much time,
// and at each epoch end), writes atomically (internal/atomicfile), copies to
// a replica directory and verifies the copy, and removes old snapshots only
// once the new one is durable. Latest finds the newest snapshot that loads,
// falling back to older ones and to the replica; Select picks one by epoch,
// step or time for a point-in-time restore.
package checkpoint

// Package atomicfile writes files crash-safely: the content goes to a
// temporary file beside the target, is flushed and fsynced, and is renamed
// over the target, after which the directory is fsynced too. A reader sees
// either the old file or the complete new one, never a partial write, and a
// failed write leaves nothing behind.
package atomicfile

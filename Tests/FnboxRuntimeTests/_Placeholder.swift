// Placeholder so the target has a source; delete once the target has real files.

"""The web shell's views: thin layers over documents.actions, sync.scheduler and the registry."""

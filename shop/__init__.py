"""The shop project package: settings, URLs, health checks and shared API pieces."""

"""Operations: request ids, JSON logs, Prometheus metrics and start-up checks (README "Deploying")."""

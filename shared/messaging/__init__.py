"""Broker topology, transactional outbox and relay, idempotent (inbox) consumption."""

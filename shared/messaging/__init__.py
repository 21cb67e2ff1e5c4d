"""Broker topology, transactional outbox and relay, idempotent (inbox) consumption."""

from shared.messaging import embedded_broker

# Before any connection is made: "sqla+" broker URLs get the product's embedded transport.
embedded_broker.install()

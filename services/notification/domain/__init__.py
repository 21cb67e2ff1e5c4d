"""Pure rules of the notification service: who is told, how a message is built, when to retry."""

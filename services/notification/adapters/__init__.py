"""What notification talks to outside its database and broker: the SMTP server, the message
templates and the mail settings."""

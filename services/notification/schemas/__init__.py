"""Request and response schemas of the notification API (marshmallow), one module per resource."""

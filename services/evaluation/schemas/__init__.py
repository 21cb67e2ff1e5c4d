"""Request and response schemas of the evaluation API (marshmallow; OpenAPI comes from them), one
module per resource."""

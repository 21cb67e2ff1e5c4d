"""Request and response schemas of the registration API (marshmallow; OpenAPI comes from them), one
module per resource.

Request schemas reject unknown fields, so a body carrying ``status``, ``owner`` or
``product_code`` is refused rather than half-applied.
"""

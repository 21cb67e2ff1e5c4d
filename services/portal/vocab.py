"""The codes the APIs accept in the fields the portal's forms offer as choices.

Kept here rather than imported from the services (the portal depends only on their HTTP
contracts); tests/portal checks each list against the committed OpenAPI documents.
"""

from __future__ import annotations

# registration
REGISTRATION_TYPES = ("first", "upgrade", "re_evaluation")
ENTITY_TYPES = (
    "cooperative",
    "cooperative_group",
    "enterprise",
    "farm",
    "household_business",
    "association",
)
GENDERS = ("male", "female", "other")
DOCUMENT_KINDS = (
    "business_registration",
    "food_safety_certificate",
    "quality_standard_declaration",
    "test_report",
    "label_packaging",
    "ip_certificate",
    "raw_material_contract",
    "product_story",
    "financial_statement",
    "award",
    "self_assessment_evidence",
    "supplement",
    "other",
)

# evaluation: Form 03 and revocation
LOCAL_CRITERIA = ("local_raw_materials", "local_labour", "idea_origin", "local_identity")
RATINGS = ("yes", "partly", "no")
PROPOSALS = ("propose", "return", "reject")
REVOCATION_GROUNDS = (
    "untruthful_dossier",
    "criteria_no_longer_met",
    "breach_of_law",
    "mark_misuse",
    "production_stopped",
    "authority_conclusion",
)

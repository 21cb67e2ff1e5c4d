"""The portal's pages, one blueprint per area of work."""

from services.portal.views import (
    accounts,
    audit,
    auth,
    cases,
    certificates,
    council,
    councils,
    dashboard,
    dossiers,
    home,
    imports,
    register,
)

VIEWS = (
    auth.bp,
    home.bp,
    dossiers.bp,
    cases.bp,
    council.bp,
    councils.bp,
    certificates.bp,
    dashboard.bp,
    audit.bp,
    accounts.bp,
    register.bp,
    imports.bp,
)

"""The web portal (port 8000): server-rendered pages for every role over the three APIs.

A backend-for-frontend: it signs people in against the registration API, keeps their token in
its signed session cookie (HttpOnly, SameSite=Lax, Secure) and calls the registration,
evaluation and notification APIs with it. It stores no case data: every page is read from the
APIs when it is served, and every form is a call to one of them.

User-facing text comes from the JSON message catalogues in ``catalogue/`` (Vietnamese by
default, English on request), read by :mod:`services.portal.i18n`. A plain catalogue was chosen
over gettext (Flask-Babel) so that there is no compile step and a test can check that both
languages carry every key the templates use.
"""

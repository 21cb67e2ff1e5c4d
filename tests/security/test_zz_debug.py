from sqlalchemy import select
from services.registration.models import rate_limits
from tests.security.conftest import fresh_client_address
def test_dbg(call, registration):
    addr = fresh_client_address()
    print("limit", registration.settings.login_attempts_per_minute)
    for i in range(12):
        r = call("POST", "/api/v1/auth/token", json={"email": f"nob{i}@x.vn", "password": "x"*12}, environ_base={"REMOTE_ADDR": addr})
        with registration.db.engine.connect() as c:
            rows = [tuple(x) for x in c.execute(select(rate_limits)).all() if addr in x.key or f"nob{i}@" in x.key]
        print(i, r.status, rows)

"""JupyterHub for the class hub/setup_class.py set up (`make hub`): real accounts, one hub.

Learners and the instructor log in with their Unix passwords (PAM: the accounts are real
ones, so the hub asks the system, as on any shared server) and each gets a JupyterLab
running as their own Unix user (LocalProcessSpawner) in the class's user environment.
Everything listens on 127.0.0.1. KERAS_COURSE_HUB names the class's prefix.
"""

import json
import os
from pathlib import Path

c = get_config()  # noqa: F821 (injected by traitlets)

PREFIX = Path(os.environ.get("KERAS_COURSE_HUB", "/opt/keras-from-scratch-hub"))
CLASS = json.loads((PREFIX / "class.json").read_text())
STATE = PREFIX / "state"

c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:8081"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"
c.ConfigurableHTTPProxy.command = [
    str(Path(__file__).resolve().parent / "node_modules" / ".bin" / "configurable-http-proxy")
]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")

c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {CLASS["instructor"], *CLASS["learners"]}

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [CLASS["python"], "-m", "jupyterhub.singleuser"]
c.Spawner.env_keep = ["LANG", "LC_ALL"]  # not the hub's (root's) PATH or Python settings
c.Spawner.environment = CLASS["environment"]
c.Spawner.default_url = "/lab"
# A JupyterLab's first start imports a lot; two cores may be busy grading.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

"""The dashboard server: Streamlit's, as an ASGI app (`st.App`), with its static files served
compressed (assets.py). `armazem dashboard` runs it with `streamlit run`, which finds `app` here."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from armazem.dashboard.assets import StaticAssets

APP = Path(__file__).with_name("app.py")

app = st.App(APP, middleware=[Middleware(StaticAssets)])

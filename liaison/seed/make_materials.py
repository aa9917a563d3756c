"""python -m liaison.seed.make_materials: make today's demo 資料 (liaison/seed/materials/today-N.pdf) again
from the texts in demo_today.TODAY_AGENDA (WeasyPrint; run it after changing them and commit the PDFs)."""
from __future__ import annotations

from liaison import create_app

from .demo_today import MATERIALS, TODAY_AGENDA, render_material

if __name__ == "__main__":
    with create_app().app_context():
        MATERIALS.mkdir(exist_ok=True)
        for index in range(1, len(TODAY_AGENDA) + 1):
            (MATERIALS / f"today-{index}.pdf").write_bytes(render_material(index))

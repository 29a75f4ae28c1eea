"""Certificate pieces of the KKT search (UNTRUSTED): claim and evidence JSON, and the kernel's verdict.

The envelope and the statement are built by certify.publishing.build_certificate
(the statement comes from the trusted kind, so it says exactly what is
checked); :func:`holds` asks the trusted kind itself (public ``KIND.parse`` /
``KIND.check``) whether a piece of evidence proves its property.
"""
from __future__ import annotations

from fractions import Fraction

from ..kernel.certificate import CertificateError, NotProven, rational_str
from ..kernel.kkt.kind import KIND
from ..kernel.kkt.networks import Data
from ..publishing import build_certificate
from .architectures import SearchNetwork


def data_json(data: Data) -> dict:
    return {"x": [[rational_str(v) for v in row] for row in data.x], "y": list(data.y)}


def claim_fields(net: SearchNetwork, data: Data, theta: list[Fraction], proves: list[str]) -> dict:
    return {"architecture": net.architecture_json(), "data": data_json(data),
            "point": net.params_json(theta), "proves": list(proves)}


def kkt_evidence(net: SearchNetwork, theta: list[Fraction], data: Data, lam: list[Fraction],
                 choices: dict | None = None) -> dict:
    return {"multipliers": [rational_str(v) for v in lam],
            "clarke_choices": net.clarke_choices(theta, data, lam, choices)}


def svm_evidence(alpha: list[Fraction]) -> dict:
    return {"dual": [rational_str(a) for a in alpha]}


def curve_evidence(net: SearchNetwork, curve: list[list[Fraction]], t0: Fraction) -> dict:
    return {"curve": net.curve_json(curve), "t0": rational_str(t0)}


def verdict(net: SearchNetwork, data: Data, theta: list[Fraction], proves: list[str], evidence: dict):
    """The trusted kind's Proven for these properties, or raises CertificateError / NotProven."""
    draft = {"claim": claim_fields(net, data, theta, proves), "evidence": evidence}
    return KIND.check(KIND.parse(draft))


def holds(net: SearchNetwork, data: Data, theta: list[Fraction], proves: list[str], evidence: dict) -> bool:
    try:
        verdict(net, data, theta, proves, evidence)
        return True
    except (CertificateError, NotProven):
        return False


def kkt_holds(net, theta, data, lam, choices: dict | None = None) -> bool:
    return holds(net, data, theta, ["kkt_point"], {"kkt_point": kkt_evidence(net, theta, data, lam, choices)})


def certificate(net: SearchNetwork, data: Data, theta: list[Fraction], proves: list[str], evidence: dict,
                provenance: dict | None = None) -> dict:
    """The complete certificate (envelope and statement from certify.publishing.build_certificate)."""
    return build_certificate(KIND.name, claim_fields(net, data, theta, proves), {"evidence": evidence}, provenance)

"""The FHIR R4B interface under /fhir (issue 8): hospital systems order and follow blood."""

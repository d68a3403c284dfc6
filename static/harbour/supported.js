// GOV.UK Frontend only runs its component scripts when the body says the browser supports them.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");

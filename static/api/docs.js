// /api/v1/docs: Swagger UI on the API's schema, its settings from the page's JSON.
const settings = JSON.parse(document.getElementById("swagger-settings").textContent);
const csrfToken = document.body.dataset.csrfToken;
window.swaggerUi = SwaggerUIBundle({
  ...settings,
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  requestInterceptor: (request) => {
    if (csrfToken) request.headers["X-CSRFToken"] = csrfToken;
    return request;
  },
});

<?php
// The route table behind a Symfony HttpFoundation front controller with the `_method`
// parameter override enabled (framework.http_method_override), which reads `_method` from
// the form body ($_POST), then the query. Routed by getMethod() and the decoded path, strictly
// (a trailing slash is another path). Debian's php-symfony-http-foundation, run by PHP's
// built-in server (`php -S 127.0.0.1:0 symfony_origin.php`, global-setup.mjs).
require_once 'Symfony/Component/HttpFoundation/autoload.php';
require_once __DIR__ . '/php_routes.php';

use Symfony\Component\HttpFoundation\Exception\SuspiciousOperationException;
use Symfony\Component\HttpFoundation\Request;

Request::enableHttpMethodParameterOverride();
$request = Request::createFromGlobals();
try {
    $method = $request->getMethod();
} catch (SuspiciousOperationException $e) {
    http_response_code(400);
    exit;
}
suite_answer($method, rawurldecode($request->getPathInfo()));

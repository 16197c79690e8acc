<?php
// The route table behind a Laravel-style front controller: Illuminate\Http\Request::capture()
// (which turns on Symfony's `_method` parameter override and reads a JSON body as the input
// whenever the Content-Type contains `/json` or `+json`), routed by getMethod() and the
// decoded path without its trailing slash, as Laravel's router does. Debian's
// php-illuminate-http, run by PHP's built-in server (`php -S 127.0.0.1:0 laravel_origin.php`,
// global-setup.mjs), which parses the query and form bodies with PHP's own name mangling.
require_once 'Illuminate/Http/autoload.php';
require_once __DIR__ . '/php_routes.php';

use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Exception\SuspiciousOperationException;

$request = Request::capture();
try {
    $method = $request->getMethod();
} catch (SuspiciousOperationException $e) {
    http_response_code(400);
    exit;
}
suite_answer($method, '/' . trim(rawurldecode($request->getPathInfo()), '/'));

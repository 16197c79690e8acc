<?php
// The route table of the differential suite (test/differential/corpus.ts) for the PHP front
// controllers (laravel_origin.php, symfony_origin.php): the handler a method and a decoded
// path reach, or null. HEAD is routed as GET, as both frameworks do.
function suite_handler(string $method, string $path): ?string
{
    $method = $method === 'HEAD' ? 'GET' : $method;
    if ($method === 'GET' && preg_match('#^/public/.+$#sD', $path)) return 'public';
    if ($path === '/admin' && in_array($method, ['GET', 'POST'], true)) return 'admin-index';
    if ($method === 'GET' && preg_match('#^/admin/[^/]+$#sD', $path)) return 'admin-item';
    if (preg_match('#^/api/reports/[^/]+$#sD', $path)) {
        return ['GET' => 'report-show', 'POST' => 'report-update', 'DELETE' => 'report-delete'][$method] ?? null;
    }
    if ($method === 'GET' && $path === '/keys') return 'keys';
    return null;
}

/** Answers the way the other origins do: `{"handler", "method"}`, or a 404 without a handler. */
function suite_answer(string $method, string $path): void
{
    header('Content-Type: application/json');
    $handler = suite_handler($method, $path);
    if ($handler === null) {
        http_response_code(404);
        echo json_encode(['message' => 'not found']);
        return;
    }
    echo json_encode(['handler' => $handler, 'method' => $method]);
}

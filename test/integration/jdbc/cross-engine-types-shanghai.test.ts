// The cross-engine type matrix again, in a process whose timezone is Asia/Shanghai from
// its first line (UTC+8, and +08:05:43 before 1901): set before any module is loaded, so
// no library can have read another zone. Values must arrive exactly as in UTC.
process.env.TZ = 'Asia/Shanghai';
await import('./cross-engine-types.test');

export {};

package session

import (
	"github.com/pion/logging"
	"github.com/rs/zerolog"
)

// pionLogs is a logging.LoggerFactory that writes pion's logs to a call's
// zerolog logger, so they carry the call id and obey its level. Levels
// map one to one: pion's trace and debug lines are quiet at info.
type pionLogs struct{ log zerolog.Logger }

// NewLogger returns the logger of one pion component (ice, dtls, sctp, pc…),
// tagged with it as "pion".
func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With().Str("pion", scope).Logger()}
}

type pionLogger struct{ log zerolog.Logger }

func (l pionLogger) Trace(msg string)                  { l.log.Trace().Msg(msg) }
func (l pionLogger) Tracef(format string, args ...any) { l.log.Trace().Msgf(format, args...) }
func (l pionLogger) Debug(msg string)                  { l.log.Debug().Msg(msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.log.Debug().Msgf(format, args...) }
func (l pionLogger) Info(msg string)                   { l.log.Info().Msg(msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.log.Info().Msgf(format, args...) }
func (l pionLogger) Warn(msg string)                   { l.log.Warn().Msg(msg) }
func (l pionLogger) Warnf(format string, args ...any)  { l.log.Warn().Msgf(format, args...) }
func (l pionLogger) Error(msg string)                  { l.log.Error().Msg(msg) }
func (l pionLogger) Errorf(format string, args ...any) { l.log.Error().Msgf(format, args...) }
